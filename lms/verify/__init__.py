"""Public verification: the page behind the QR code, the DID document, status lists."""
