from pydantic_settings import SettingsConfigDict

from tuopin_eventkit.settings import ServiceSettings, sqlite_url


class LoansSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TUOPIN_LOANS_", env_nested_delimiter="__")

    port: int = 8002
    database_url: str = sqlite_url("loans")
