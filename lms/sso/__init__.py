"""Optional OpenID Connect single sign-on through an organisation's provider."""
