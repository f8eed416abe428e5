"""Privacy: a person's data export, erasure by an admin, and file retention."""
