"""What is trained: model and loss config, norm layers, the G/D networks, the losses, and the
conversion between uint8 glyph coverage and the networks' [-1, 1] images."""
