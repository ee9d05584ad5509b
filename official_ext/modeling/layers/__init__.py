"""Layers: candidate sampler, MWS head, RTD head."""
