from pydantic_settings import SettingsConfigDict

from tuopin_eventkit.settings import ServiceSettings, sqlite_url


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TUOPIN_REGISTRY_", env_nested_delimiter="__")

    port: int = 8001
    database_url: str = sqlite_url("registry")
