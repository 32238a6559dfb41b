{
  "targets": [
    {
      "target_name": "prehashed",
      "sources": ["prehashed.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
