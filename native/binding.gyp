{
  "targets": [
    {
      "target_name": "prehashed",
      "sources": ["prehashed.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"],
      # The OpenSSL symbols come from the node binary. Bind them at load time, so a node that
      # does not export them fails require() (and Cairn falls back to JS) instead of aborting
      # at the first call.
      "ldflags": ["-Wl,-z,now"],
      "xcode_settings": { "OTHER_LDFLAGS": ["-Wl,-bind_at_load"] }
    }
  ]
}
