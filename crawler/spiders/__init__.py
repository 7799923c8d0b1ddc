"""The spiders: ``search`` runs the query grid, ``providers`` walks provider sites."""
