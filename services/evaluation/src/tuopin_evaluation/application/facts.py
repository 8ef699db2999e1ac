"""Evaluation's tables of household facts (filled by the households projection)."""

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

households = Table(
    "households",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("village_code", String(12), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("size", Integer, nullable=False),
    Column("housing_safe", Boolean),
    Column("drinking_water_safe", Boolean),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("household_id", String(36), nullable=False, index=True),
    Column("birth_date", Date),
    Column("schooling", String(30)),
    Column("medical_insurance", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
)

incomes = Table(
    "incomes",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("per_head", Integer, nullable=False),  # fen
)
