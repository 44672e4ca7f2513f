// Vite's `?raw` imports: a file's text as a string module (the Worker tests cannot read files).
declare module "*?raw" {
  const text: string;
  export default text;
}
