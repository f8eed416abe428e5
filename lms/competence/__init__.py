"""Competence tracking for managers: role profiles, required training, dashboards."""
