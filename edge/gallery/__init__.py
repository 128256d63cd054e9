"""Gallery: the local store of people, groups and face embeddings."""
