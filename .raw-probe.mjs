import Database from 'better-sqlite3';
const db = new Database('/tmp/iter.flowscope', { readonly: true });
function time(label, fn) { const c0 = process.cpuUsage(); const t = performance.now(); const n = fn(); const c = process.cpuUsage(c0); console.log(label, n, Math.round(performance.now() - t), 'ms wall', Math.round((c.user + c.system) / 1000), 'ms cpu'); }
time('count', () => db.prepare('select count(*) c from messages').get().c);
time('seq only', () => { let n = 0; for (const r of db.prepare('select seq from messages').iterate()) n++; return n; });
time('select * iterate', () => { let n = 0; for (const r of db.prepare('select * from messages').iterate()) n++; return n; });
time('select * all', () => db.prepare('select * from messages').all().length);
time('select * raw iterate', () => { let n = 0; for (const r of db.prepare('select * from messages').raw().iterate()) n++; return n; });
db.pragma('mmap_size = 268435456'); db.pragma('cache_size = -65536');
time('select * iterate mmap', () => { let n = 0; for (const r of db.prepare('select * from messages').iterate()) n++; return n; });
