"""Tolok: a learning-management system for civil-service leadership training."""
