"""Department adapters: files and forms in, `schemas.Envelope` on the feed topics out."""
