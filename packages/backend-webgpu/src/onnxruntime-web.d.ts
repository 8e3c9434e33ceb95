// Types of the `#onnxruntime-web` import (package.json "imports"): every onnxruntime-web build has the same API.
export * from 'onnxruntime-web/webgpu';
