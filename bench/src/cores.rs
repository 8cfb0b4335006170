//! Where the end-to-end part runs: the clients on some of the cores this
//! process may use, the emulator on the others (Linux), or all of them on
//! every core.

/// The CPUs the calling thread may run on, in order (empty where the
/// system does not tell).
pub fn allowed() -> Vec<usize> {
    imp::allowed()
}

/// Restricts the calling thread, and the threads and processes it starts
/// afterwards, to `cpus`.
pub fn pin(cpus: &[usize]) -> Result<(), String> {
    if cpus.is_empty() {
        return Err("no CPU to run on".into());
    }
    imp::pin(cpus)
}

/// `0,2,3` for the command line and the report.
pub fn format(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The inverse of [`format()`]; `None` for anything else.
pub fn parse(list: &str) -> Option<Vec<usize>> {
    let cpus: Option<Vec<usize>> = list.split(',').map(|c| c.trim().parse().ok()).collect();
    cpus.filter(|c| !c.is_empty())
}

/// `allowed` split in two halves for (the clients, the emulator); `None`
/// with fewer than two CPUs.
pub fn split(allowed: &[usize]) -> Option<(Vec<usize>, Vec<usize>)> {
    (allowed.len() >= 2).then(|| {
        let (clients, emulator) = allowed.split_at(allowed.len() / 2);
        (clients.to_vec(), emulator.to_vec())
    })
}

#[cfg(target_os = "linux")]
mod imp {
    use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
    use nix::unistd::Pid;

    pub fn allowed() -> Vec<usize> {
        match sched_getaffinity(Pid::from_raw(0)) {
            Ok(set) => (0..CpuSet::count())
                .filter(|&i| set.is_set(i).unwrap_or(false))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn pin(cpus: &[usize]) -> Result<(), String> {
        let mut set = CpuSet::new();
        for &cpu in cpus {
            set.set(cpu).map_err(|e| format!("CPU {cpu}: {e}"))?;
        }
        sched_setaffinity(Pid::from_raw(0), &set).map_err(|e| format!("sched_setaffinity: {e}"))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn allowed() -> Vec<usize> {
        Vec::new()
    }

    pub fn pin(_: &[usize]) -> Result<(), String> {
        Err("CPU affinity is only set on Linux".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_and_split_in_halves() {
        assert_eq!(parse(&format(&[0, 2, 3])), Some(vec![0, 2, 3]));
        assert_eq!(parse(""), None);
        assert_eq!(parse("1,x"), None);
        assert_eq!(split(&[0]), None);
        assert_eq!(split(&[0, 1]), Some((vec![0], vec![1])));
        assert_eq!(split(&[0, 1, 2]), Some((vec![0], vec![1, 2])));
    }
}
