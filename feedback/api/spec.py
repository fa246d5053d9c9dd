SPEC = {"openapi": "3.1.0", "info": {"title": "找错工单 API", "version": "1"}, "paths": {}}
