"""The office's 知识库: reply templates by category, and how replies built from them fare."""
