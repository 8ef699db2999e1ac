"""Pure training rules: accreditation, programmes, eligibility, certificates (stdlib only)."""
