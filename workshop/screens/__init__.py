"""What each audience's screen shows: one module per audience (phone, console, projector),
each building the context of its screen for the first render (a view) and for every push (a
consumer or a broadcast), and rendering the partial both use. Views and consumers import
screens; screens import neither."""
