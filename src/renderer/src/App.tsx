export function App() {
  return <main>Flowscope</main>;
}
