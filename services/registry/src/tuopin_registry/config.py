from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from tuopin_eventkit.settings import ServiceSettings, sqlite_url
from tuopin_registry.application import sealing
from tuopin_registry.reference.belts import BeltTable, load_belts

# base64 of b"embedded-development-people-key!": embedded mode and tests only.
DEVELOPMENT_PEOPLE_KEY = "ZW1iZWRkZWQtZGV2ZWxvcG1lbnQtcGVvcGxlLWtleSE="


class RegistrySettings(ServiceSettings):
    # A refused setting is named, never repeated: keys and database URLs are secrets.
    model_config = SettingsConfigDict(
        env_prefix="TUOPIN_REGISTRY_", env_nested_delimiter="__", hide_input_in_errors=True
    )

    port: int = 8001
    database_url: str = sqlite_url("registry")
    # Master key of the people vault (TUOPIN_REGISTRY_PEOPLE_KEY): 32 random bytes, base64.
    # It wraps each person's own data key; set a real secret in every deployment, and keep
    # it: without it no clear ID number can be read again.
    people_key: SecretStr = SecretStr(DEVELOPMENT_PEOPLE_KEY)

    # The provincial office's list of special-hardship belts (特困片带), in the format of
    # reference/README.md; unset: the shipped file. A bad file refuses the start.
    hardship_belts_file: Path | None = None

    @field_validator("hardship_belts_file")
    @classmethod
    def _a_valid_belts_file(cls, path: Path | None) -> Path | None:
        load_belts(path)
        return path

    def belts(self) -> BeltTable:
        return load_belts(self.hardship_belts_file)

    @field_validator("people_key")
    @classmethod
    def _a_256_bit_key(cls, key: SecretStr) -> SecretStr:
        sealing.decode(key.get_secret_value())  # refuses a bad key at start, value unsaid
        return key

    def people(self) -> sealing.PeopleKey:
        return sealing.PeopleKey.from_base64(self.people_key.get_secret_value())
