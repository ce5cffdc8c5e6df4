//! Scoring a system's ranking against a task's answer, and the averages.

use super::task::FuncRef;
use serde::Serialize;

/// A definition a system points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionHit {
    pub path: String,
    /// The simple name (the last part of a qualified name).
    pub name: String,
    /// 1-based inclusive lines of the hit (a definition, or a part of one)
    /// in the tree the system searched: the task's parent.
    pub start_line: u32,
    pub end_line: u32,
}

/// What a system answers for a task.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ranking {
    /// Files, best first, each once. For a map: the files it shows, in
    /// its order.
    pub files: Vec<String>,
    /// Definitions, best first (empty for systems that name none).
    pub functions: Vec<FunctionHit>,
    /// Estimated tokens of what the system hands the reader.
    pub tokens_read: usize,
    /// Anything worth reading beside a miss (a map's focus files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The last part of a qualified name (`a.B.c`, `a::B::c` → `c`).
pub fn simple_name(qualified: &str) -> &str {
    let tail = qualified.rsplit("::").next().unwrap_or(qualified);
    tail.rsplit('.').next().unwrap_or(tail)
}

/// Whether `hit` is the changed definition `gold`: the same file and name,
/// and overlapping lines (so that two `__init__` of one file are told
/// apart). A Rust `impl` block matches by name alone: codegraph names the
/// type, whose lines are elsewhere.
pub fn same_definition(gold: &FuncRef, hit: &FunctionHit) -> bool {
    let overlap =
        (hit.start_line as usize) <= gold.end_line && gold.start_line <= (hit.end_line as usize);
    gold.path == hit.path && gold.name == hit.name && (overlap || gold.kind == "impl")
}

/// One system's scores on one task.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Every changed file is in the top 1, 3, 5, 10.
    pub acc1: bool,
    pub acc3: bool,
    pub acc5: bool,
    pub acc10: bool,
    /// Share of the changed files in the top 5, 10.
    pub recall5: f64,
    pub recall10: f64,
    /// 1-based rank of the first changed file, if any is ranked.
    pub first_hit: Option<usize>,
    /// Share of the changed definitions among the first 10 definitions;
    /// `None` when the task has none or the system names none.
    pub fn_recall10: Option<f64>,
    /// Share of the changed files anywhere in the answer (what a map
    /// shows).
    pub coverage: f64,
    pub tokens: usize,
}

/// Scores `ranking` against the changed `files` and `functions`.
/// `names_functions`: whether the system answers with definitions at all.
pub fn score(
    files: &[String],
    functions: &[FuncRef],
    ranking: &Ranking,
    names_functions: bool,
) -> Scores {
    let found_in = |k: usize| {
        let top = &ranking.files[..k.min(ranking.files.len())];
        files.iter().filter(|f| top.contains(f)).count()
    };
    let share = |n: usize| {
        if files.is_empty() {
            0.0
        } else {
            n as f64 / files.len() as f64
        }
    };
    let all = |k: usize| !files.is_empty() && found_in(k) == files.len();
    let fn_recall10 = (names_functions && !functions.is_empty()).then(|| {
        let top = &ranking.functions[..10.min(ranking.functions.len())];
        let found = functions
            .iter()
            .filter(|g| top.iter().any(|h| same_definition(g, h)))
            .count();
        found as f64 / functions.len() as f64
    });
    Scores {
        acc1: all(1),
        acc3: all(3),
        acc5: all(5),
        acc10: all(10),
        recall5: share(found_in(5)),
        recall10: share(found_in(10)),
        first_hit: ranking
            .files
            .iter()
            .position(|f| files.contains(f))
            .map(|i| i + 1),
        fn_recall10,
        coverage: share(found_in(usize::MAX)),
        tokens: ranking.tokens_read,
    }
}

/// Sums of scores over tasks, for averages.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub tasks: usize,
    pub acc1: usize,
    pub acc3: usize,
    pub acc5: usize,
    pub acc10: usize,
    pub recall5: f64,
    pub recall10: f64,
    pub fn_tasks: usize,
    pub fn_recall10: f64,
    pub coverage: f64,
    pub tokens: usize,
    pub millis: Vec<f64>,
}

impl Totals {
    pub fn add(&mut self, s: &Scores, millis: f64) {
        self.tasks += 1;
        self.acc1 += usize::from(s.acc1);
        self.acc3 += usize::from(s.acc3);
        self.acc5 += usize::from(s.acc5);
        self.acc10 += usize::from(s.acc10);
        self.recall5 += s.recall5;
        self.recall10 += s.recall10;
        if let Some(r) = s.fn_recall10 {
            self.fn_tasks += 1;
            self.fn_recall10 += r;
        }
        self.coverage += s.coverage;
        self.tokens += s.tokens;
        self.millis.push(millis);
    }

    fn mean(&self, sum: f64) -> f64 {
        sum / self.tasks.max(1) as f64
    }

    pub fn acc(&self, k: usize) -> f64 {
        let hits = match k {
            1 => self.acc1,
            3 => self.acc3,
            5 => self.acc5,
            _ => self.acc10,
        };
        self.mean(hits as f64)
    }

    pub fn recall(&self, k: usize) -> f64 {
        self.mean(if k == 5 { self.recall5 } else { self.recall10 })
    }

    /// Mean function Recall@10 over the tasks that have changed definitions.
    pub fn fn_recall(&self) -> Option<f64> {
        (self.fn_tasks > 0).then(|| self.fn_recall10 / self.fn_tasks as f64)
    }

    pub fn coverage(&self) -> f64 {
        self.mean(self.coverage)
    }

    pub fn tokens(&self) -> f64 {
        self.mean(self.tokens as f64)
    }

    pub fn median_millis(&self) -> f64 {
        let mut v = self.millis.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => 0.0,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(path: &str, name: &str, lines: (usize, usize)) -> FuncRef {
        FuncRef {
            path: path.into(),
            name: name.into(),
            qualname: name.into(),
            kind: "function".into(),
            start_line: lines.0,
            end_line: lines.1,
        }
    }

    fn hit(path: &str, name: &str, lines: (u32, u32)) -> FunctionHit {
        FunctionHit {
            path: path.into(),
            name: name.into(),
            start_line: lines.0,
            end_line: lines.1,
        }
    }

    fn files(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn accuracy_needs_every_changed_file() {
        let ranking = Ranking {
            files: files(&["a", "b", "c", "d", "e", "f"]),
            ..Ranking::default()
        };
        let s = score(&files(&["b"]), &[], &ranking, false);
        assert_eq!((s.acc1, s.acc3, s.acc5, s.acc10), (false, true, true, true));
        assert_eq!((s.recall5, s.first_hit), (1.0, Some(2)));
        let s = score(&files(&["d"]), &[], &ranking, false);
        assert_eq!((s.acc3, s.acc5, s.first_hit), (false, true, Some(4)));
        let s = score(&files(&["a", "f"]), &[], &ranking, false);
        assert_eq!((s.acc1, s.acc5, s.acc10), (false, false, true));
        assert_eq!((s.recall5, s.recall10), (0.5, 1.0));
        let s = score(&files(&["a", "z"]), &[], &ranking, false);
        assert_eq!((s.acc10, s.recall10, s.coverage), (false, 0.5, 0.5));
        assert_eq!(s.fn_recall10, None);
    }

    #[test]
    fn an_empty_answer_scores_zero() {
        let s = score(&files(&["a"]), &[], &Ranking::default(), true);
        assert_eq!(
            s,
            Scores {
                fn_recall10: None,
                ..Scores::default()
            }
        );
    }

    #[test]
    fn coverage_counts_the_whole_view() {
        let mut shown: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        shown.push("target".into());
        let ranking = Ranking {
            files: shown,
            tokens_read: 900,
            ..Ranking::default()
        };
        let s = score(&files(&["target", "missing"]), &[], &ranking, false);
        assert_eq!((s.recall10, s.coverage, s.tokens), (0.0, 0.5, 900));
    }

    #[test]
    fn functions_match_by_file_name_and_lines() {
        let g = [
            gold("a.py", "__init__", (10, 20)),
            gold("a.py", "run", (30, 40)),
        ];
        // Another class's __init__ in the same file does not count.
        let ranking = Ranking {
            files: files(&["a.py"]),
            functions: vec![
                hit("a.py", "__init__", (50, 60)),
                hit("b.py", "run", (30, 40)),
                hit("a.py", "run", (35, 38)),
            ],
            ..Ranking::default()
        };
        let s = score(&files(&["a.py"]), &g, &ranking, true);
        assert_eq!(s.fn_recall10, Some(0.5));
        // Only the first ten definitions count.
        let mut many = vec![hit("x.py", "f", (1, 2)); 10];
        many.push(hit("a.py", "run", (30, 40)));
        let ranking = Ranking {
            functions: many,
            ..ranking
        };
        assert_eq!(score(&[], &g, &ranking, true).fn_recall10, Some(0.0));
        // An impl block matches the type's name wherever its lines are.
        let imp = FuncRef {
            kind: "impl".into(),
            ..gold("s.rs", "Parser", (100, 200))
        };
        assert!(same_definition(&imp, &hit("s.rs", "Parser", (5, 9))));
        assert!(!same_definition(&imp, &hit("t.rs", "Parser", (5, 9))));
    }

    #[test]
    fn names_lose_their_qualifiers() {
        assert_eq!(simple_name("black.linegen.LineGenerator.visit"), "visit");
        assert_eq!(simple_name("crate::a::Type::method"), "method");
        assert_eq!(simple_name("plain"), "plain");
    }

    #[test]
    fn totals_average_over_tasks() {
        let mut t = Totals::default();
        let a = Scores {
            acc1: true,
            acc3: true,
            acc5: true,
            acc10: true,
            recall5: 1.0,
            recall10: 1.0,
            fn_recall10: Some(0.5),
            coverage: 1.0,
            tokens: 100,
            ..Scores::default()
        };
        t.add(&a, 10.0);
        t.add(&Scores::default(), 30.0);
        t.add(&Scores::default(), 20.0);
        assert!((t.acc(1) - 1.0 / 3.0).abs() < 1e-12);
        assert!((t.acc(3) - 1.0 / 3.0).abs() < 1e-12);
        assert!((t.recall(10) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(t.fn_recall(), Some(0.5));
        assert!((t.tokens() - 100.0 / 3.0).abs() < 1e-12);
        assert_eq!(t.median_millis(), 20.0);
        assert_eq!(Totals::default().fn_recall(), None);
    }
}
