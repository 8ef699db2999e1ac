"""Training service: programmes, enrolments and vocational certificates."""
