// The model worker is the library's: the page's engine sends it forward passes and KV operations.
import '@reasonflow/backend-webgpu/worker';
