export { ToyModel, type ToyModelOptions } from './toy-model.js';
