from pydantic_settings import SettingsConfigDict

from tuopin_eventkit.settings import ServiceSettings, sqlite_url


class TrainingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TUOPIN_TRAINING_", env_nested_delimiter="__")

    port: int = 8003
    database_url: str = sqlite_url("training")
