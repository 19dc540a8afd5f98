"""The bundled sample (Foye et al. 2022): see README.md here."""
