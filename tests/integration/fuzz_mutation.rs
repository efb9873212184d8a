//! A stable-toolchain mutation pass over the fuzz seeds, for machines without nightly or
//! cargo-fuzz (ignored by default: `cargo test --test integration -- --ignored fuzz_mutation
//! --nocapture`). It mutates each target's seeds (byte flips, cuts, splices, tokens the parsers
//! care about: quotes, delimiters, line ends, a BOM, NUL, non-ASCII, huge numbers, XML markup) and
//! runs them through the fuzz harness (fuzz/harness.rs), keeping any input that panics under
//! `$TMPDIR/whalewatch-mutation/`. It has no coverage feedback, so it is no substitute for
//! libFuzzer (fuzz/run-short.sh); it found the first crash listed in tests/fuzz/RESULTS.md.
//! MUT_SECS seconds per target (default 10), MUT_ONLY=target,target, MUT_SEED for another run.

use std::path::Path;

#[path = "../../fuzz/harness.rs"]
mod harness;

/// xorshift64: reproducible from MUT_SEED, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\n",
    b"\r\n",
    "é".as_bytes(),
    "\u{feff}".as_bytes(),
    b"\0",
    b"0",
    b"9999999999999999999999",
    b"-1",
    b",",
    b"|",
    b"\t",
    b";",
    b":",
    b".",
    b"e308",
    b"NaN",
    b"inf",
    b"<",
    b">",
    b"</XML>",
    b"<XML>",
    b"&",
    b"'",
    b" ",
    b"O:",
    b"2026-03-02",
    b"20250304",
    b"1e300",
    b"--",
    b"=",
    b"[",
    b"]",
    b"{",
    b"}",
];

const BYTES: &[u8] = b"0123456789,|\n\":-. ";

fn mutate(r: &mut Rng, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = seed.to_vec();
    for _ in 0..1 + r.below(6) {
        match r.below(7) {
            0 if !d.is_empty() => {
                let i = r.below(d.len());
                d[i] = r.next() as u8;
            }
            1 if !d.is_empty() => {
                let i = r.below(d.len());
                let n = r.below(16).min(d.len() - i);
                d.drain(i..i + n);
            }
            2 => {
                let i = r.below(d.len() + 1);
                let t = TOKENS[r.below(TOKENS.len())];
                d.splice(i..i, t.iter().copied());
            }
            3 if !d.is_empty() => {
                let i = r.below(d.len());
                d.truncate(i);
            }
            4 if !d.is_empty() => {
                let i = r.below(d.len());
                let j = i + r.below(64).min(d.len() - i);
                let chunk = d[i..j].to_vec();
                let k = r.below(d.len() + 1);
                d.splice(k..k, chunk);
            }
            5 => {
                let o = &seeds[r.below(seeds.len())];
                if !o.is_empty() {
                    let i = r.below(o.len());
                    let j = i + r.below(200).min(o.len() - i);
                    let k = r.below(d.len() + 1);
                    d.splice(k..k, o[i..j].iter().copied());
                }
            }
            _ if !d.is_empty() => {
                let i = r.below(d.len());
                d[i] = BYTES[r.below(BYTES.len())];
            }
            _ => {}
        }
    }
    d
}

#[test]
#[ignore = "a fuzzing pass of MUT_SECS per target; run on demand"]
fn fuzz_mutation_pass_finds_no_panic() {
    let env = |name: &str| std::env::var(name).ok();
    let secs: u64 = env("MUT_SECS").and_then(|s| s.parse().ok()).unwrap_or(10);
    let salt: u64 = env("MUT_SEED").and_then(|s| s.parse().ok()).unwrap_or(0);
    let only = env("MUT_ONLY");
    let out = std::env::temp_dir().join("whalewatch-mutation");
    std::fs::create_dir_all(&out).unwrap();
    let mut panics = Vec::new();
    for (target, harness) in harness::TARGETS {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|x| x == *target))
        {
            continue;
        }
        let seeds: Vec<Vec<u8>> = std::fs::read_dir(Path::new("fuzz/seeds").join(target))
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        let mut r =
            Rng(0x9E3779B97F4A7C15 ^ target.len() as u64 ^ salt.wrapping_mul(0x2545F4914F6CDD1D));
        let start = std::time::Instant::now();
        let mut pool = seeds.clone();
        let mut n = 0u64;
        while start.elapsed().as_secs() < secs {
            let base = pool[r.below(pool.len())].clone();
            let input = mutate(&mut r, &base, &seeds);
            n += 1;
            if std::panic::catch_unwind(|| harness(&input)).is_err() {
                let path = out.join(format!("{target}-{salt}-{n}"));
                std::fs::write(&path, &input).unwrap();
                panics.push(path);
                break;
            }
            if r.below(20) == 0 && pool.len() < 200 {
                pool.push(input);
            }
        }
        println!("{target}: {n} inputs");
    }
    assert!(panics.is_empty(), "inputs that panic: {panics:?}");
}
