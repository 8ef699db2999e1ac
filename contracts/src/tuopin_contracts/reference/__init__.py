"""Reference data every service reads (one source): Gansu's region table."""
