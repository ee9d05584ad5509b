"""Readers for the records written by `tfrecords_tools`."""
