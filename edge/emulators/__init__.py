"""Local servers of the cloud face APIs (youtu, sensetime, iai), faithful to their documents."""
