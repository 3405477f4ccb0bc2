// Svelte 5 in runes mode everywhere.
export default { compilerOptions: { runes: true } };
