"""TLS and SASL reach every Kafka client the kernel builds. There is no TLS broker here, so
the clients' options are checked, and real aiokafka clients are built from them (aiokafka
validates protocol, mechanism and SSL context on construction); PLAINTEXT is what the
rest of the suite runs against Tansu."""

import datetime as dt
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.kafka import KafkaSettings


def self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem = serialization.Encoding.PEM
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def sasl_ssl(tmp_path: Path) -> KafkaSettings:
    ca, _ = self_signed(tmp_path, "tuopin-ca")
    client_cert, client_key = self_signed(tmp_path, "tuopin-loans")
    return KafkaSettings(
        bootstrap_servers="kafka-0.kafka:9093",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="loans",
        sasl_password="s3cret",  # type: ignore[arg-type]  # pydantic turns the str into SecretStr
        ssl_cafile=ca,
        ssl_certfile=client_cert,
        ssl_keyfile=client_key,
    )


def recording(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """Replace the aiokafka classes in the kernel's module by ones that keep their options."""
    seen: dict[str, dict[str, Any]] = {}
    for name in ("AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"):

        class Recorder:
            label = name

            def __init__(self, *args: Any, **options: Any) -> None:
                seen[self.label] = options

            async def start(self) -> None:
                raise ConnectionError("recorded, not connected")

        monkeypatch.setattr(kafka, name, Recorder)
    return seen


async def test_producer_consumer_and_admin_all_get_tls_and_sasl(
    sasl_ssl: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = recording(monkeypatch)
    kafka.producer(sasl_ssl)
    kafka.consumer(sasl_ssl, group_id="loans.registry")
    with pytest.raises(ConnectionError):
        await kafka.ensure_topics(sasl_ssl, ["tuopin.loans"])
    assert set(seen) == {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"}
    for options in seen.values():
        assert options["security_protocol"] == "SASL_SSL"
        assert options["sasl_mechanism"] == "SCRAM-SHA-512"
        assert options["sasl_plain_username"] == "loans"
        assert options["sasl_plain_password"] == "s3cret"
        context: ssl.SSLContext = options["ssl_context"]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "tuopin-ca"),),)]


async def test_real_aiokafka_clients_accept_the_options(sasl_ssl: KafkaSettings) -> None:
    producer = kafka.producer(sasl_ssl)
    consumer = kafka.consumer(sasl_ssl, group_id=None)
    admin = AIOKafkaAdminClient(bootstrap_servers="x:9093", **kafka.security(sasl_ssl))
    assert isinstance(producer, AIOKafkaProducer) and isinstance(consumer, AIOKafkaConsumer)
    for client in (producer.client, consumer._client, admin._client):
        assert client._security_protocol == "SASL_SSL"
        assert client._sasl_mechanism == "SCRAM-SHA-512"
        assert isinstance(client._ssl_context, ssl.SSLContext)
    await consumer.stop()  # never started: closes nothing but its loop resources


async def test_consumers_wait_for_records_as_set() -> None:
    """Tansu answers a waiting fetch only when its wait is out, so the wait is also how
    long a record can sit unseen: a setting, 400 ms unless set."""
    default = kafka.consumer(KafkaSettings(), group_id=None)
    chosen = kafka.consumer(KafkaSettings(fetch_max_wait_ms=40), group_id="evaluation.rollups")
    assert (default._fetch_max_wait_ms, chosen._fetch_max_wait_ms) == (400, 40)
    for consumer in (default, chosen):
        await consumer.stop()


def test_plaintext_stays_the_default_for_the_embedded_broker() -> None:
    assert kafka.security(KafkaSettings()) == {"security_protocol": "PLAINTEXT"}


def test_ssl_without_sasl_takes_no_credentials(tmp_path: Path) -> None:
    ca, _ = self_signed(tmp_path, "ca")
    options = kafka.security(KafkaSettings(security_protocol="SSL", ssl_cafile=ca))
    assert set(options) == {"security_protocol", "ssl_context"}


@pytest.mark.parametrize(
    "settings",
    [
        {"security_protocol": "SASL_SSL"},  # no credentials
        {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "x"},  # no password
        {"security_protocol": "SSL", "ssl_certfile": "c.pem"},  # a certificate without its key
        {"security_protocol": "TLS"},  # not a Kafka protocol
        {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "GSSAPI",
            "sasl_username": "x",
            "sasl_password": "y",
        },  # not offered
    ],
)
def test_incomplete_security_settings_are_refused_at_start(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        KafkaSettings(**settings)


def test_the_password_is_not_printed_with_the_settings(sasl_ssl: KafkaSettings) -> None:
    assert "s3cret" not in repr(sasl_ssl) and "s3cret" not in str(sasl_ssl.model_dump())
