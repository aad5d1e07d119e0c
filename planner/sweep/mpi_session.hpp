// MPI for `trainplan sweep`, and for nothing else: the session initialises MPI only when the
// environment shows that an MPI launcher started this process, so a plain `trainplan sweep` makes
// no MPI call at all. Under `mpirun -np N` (or `srun` with PMIx) every rank reads the sweep, takes
// the points i with i % N == rank (round-robin, so a slow axis value is spread over all ranks),
// and rank 0 gathers the results and alone prints. Nothing forks; only the calling thread makes
// MPI calls (MPI_THREAD_FUNNELED); the search threads never do.
//
// Built without MPI (find_package(MPI) failed), a run under mpirun still gives one answer: rank 0
// computes every point and the other ranks do nothing.
//
//   MpiSession mpi;                       // MPI_Init here when launched by mpirun/srun
//   std::vector<int> mine = mpi.share(points);
//   std::vector<std::string> all = mpi.gather(text);   // rank 0: one text per rank, in rank order
//   // ~MpiSession: MPI_Finalize
#pragma once

#include <string>
#include <vector>

namespace trainplan::sweep {

class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  // OMPI_COMM_WORLD_SIZE (Open MPI's mpirun), PMIX_RANK (PMIx launchers such as srun --mpi=pmix)
  // or PMI_SIZE (MPICH's Hydra) in the environment.
  static bool launched_by_mpi();
  static bool built_with_mpi();

  [[nodiscard]] bool active() const { return active_; }  // MPI initialised by this session
  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }              // ranks that share the work
  [[nodiscard]] int local_size() const { return local_size_; }  // ranks on this machine
  // A rank with nothing to do (a non-zero rank under mpirun of a build without MPI).
  [[nodiscard]] bool idle() const { return idle_; }
  [[nodiscard]] bool prints() const { return rank_ == 0; }

  // The indices in [0, count) this rank evaluates.
  [[nodiscard]] std::vector<int> share(int count) const;
  // Every rank's text, on rank 0 in rank order; an empty vector on the other ranks.
  [[nodiscard]] std::vector<std::string> gather(const std::string& mine) const;
  // Whether any rank says yes (all ranks must call it).
  [[nodiscard]] bool any(bool mine) const;
  // Ends all ranks after an error one rank alone saw.
  [[noreturn]] void abort(int code) const;

 private:
  bool active_ = false;
  bool idle_ = false;
  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
};

}  // namespace trainplan::sweep
