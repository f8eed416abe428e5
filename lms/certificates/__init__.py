"""Verifiable certificates: Open Badges 3.0 credentials, their proofs, keys and PDFs.

The modules here hold no routes: jsonld (canonical form from committed contexts),
multikey (key encodings), proof (eddsa-rdfc-2022), credential (the OB 3.0 document),
status_list (revocation bits), keys (the issuer's keys), verify (offline checks) and
pdf (the printable certificate).
"""
