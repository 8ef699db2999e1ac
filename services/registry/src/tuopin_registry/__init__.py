"""Registry service: filing and registration of poor households (建档立卡)."""
