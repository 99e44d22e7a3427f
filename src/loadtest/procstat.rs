//! CPU and memory of a local process, read from `/proc/<pid>/stat` and `/proc/<pid>/status`
//! (Linux only).

use serde::Serialize;

/// Errors reading a process's counters.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    #[error("failed to read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("unexpected format of {path}: {detail}")]
    Format { path: String, detail: String },
}

/// Clock ticks per second of `utime` and `stime` in `/proc/<pid>/stat`. Linux reports
/// them in USER_HZ, which is 100 on every mainstream architecture.
// NOTE: assumed rather than read with sysconf(_SC_CLK_TCK), to avoid a libc dependency.
const USER_HZ: f64 = 100.0;

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy)]
pub struct ProcReading {
    /// User plus system CPU time since the process started, in seconds.
    pub cpu_seconds: f64,
    /// Resident set size, in kibibytes.
    pub rss_kib: u64,
}

/// One per-second sample of the server during a load test.
#[derive(Debug, Clone, Serialize)]
pub struct ProcSample {
    /// Seconds since the load test started.
    pub at_s: f64,
    /// Calls the load generator had open when the sample was taken.
    pub active_calls: usize,
    /// CPU used since the previous sample, in cores (1.0 = one core fully busy).
    pub cpu_cores: f64,
    /// Resident set size, in mebibytes.
    pub rss_mib: f64,
}

/// Reads the CPU time and RSS of process `pid`.
pub fn read(pid: u32) -> Result<ProcReading, ProcError> {
    let stat_path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&stat_path).map_err(|source| ProcError::Read { path: stat_path.clone(), source })?;
    let cpu_seconds = parse_cpu_seconds(&stat).ok_or_else(|| ProcError::Format { path: stat_path, detail: stat.clone() })?;

    let status_path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&status_path).map_err(|source| ProcError::Read { path: status_path.clone(), source })?;
    let rss_kib = parse_rss_kib(&status).ok_or_else(|| ProcError::Format { path: status_path, detail: "no VmRSS line".into() })?;

    Ok(ProcReading { cpu_seconds, rss_kib })
}

/// Returns utime + stime in seconds. The command name (field 2) may contain spaces and
/// parentheses, so fields are counted from the last `)`.
fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

fn parse_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_in_name() {
        let stat = "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 8 0 100 0 0";
        assert_eq!(parse_cpu_seconds(stat), Some(3.0));
    }

    #[test]
    fn rss_line_parsed() {
        let status = "Name:\trecobra\nVmPeak:\t  9000 kB\nVmRSS:\t   81234 kB\nThreads:\t5\n";
        assert_eq!(parse_rss_kib(status), Some(81234));
    }

    #[test]
    fn own_process_readable() {
        let reading = read(std::process::id()).expect("this process's counters");
        assert!(reading.rss_kib > 0);
    }
}
