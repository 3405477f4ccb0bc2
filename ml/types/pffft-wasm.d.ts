// @echogarden/pffft-wasm ships an Emscripten factory without type declarations.
declare module '@echogarden/pffft-wasm' {
  const factory: (options?: object) => Promise<unknown>;
  export default factory;
}
declare module '@echogarden/pffft-wasm/simd' {
  const factory: (options?: object) => Promise<unknown>;
  export default factory;
}
