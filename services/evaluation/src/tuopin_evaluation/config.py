from pydantic_settings import SettingsConfigDict

from tuopin_eventkit.settings import ServiceSettings, sqlite_url


class EvaluationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TUOPIN_EVALUATION_", env_nested_delimiter="__")

    port: int = 8004
    database_url: str = sqlite_url("evaluation")
    # Evaluation never sees a resident-ID number: it needs no identity key, and gets none.
    unused_secrets = frozenset({"identity_key"})
