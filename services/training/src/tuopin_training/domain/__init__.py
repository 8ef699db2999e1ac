"""Pure training rules; standard library only (the domain arrives with its own issue)."""
