#include "planner/sweep/mpi_session.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#ifdef TRAINPLAN_HAVE_MPI
// The C API only: keep Open MPI and MPICH from pulling in their deprecated C++ bindings.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace trainplan::sweep {

namespace {
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
}  // namespace

bool MpiSession::launched_by_mpi() { return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE"); }

bool MpiSession::built_with_mpi() {
#ifdef TRAINPLAN_HAVE_MPI
  return true;
#else
  return false;
#endif
}

MpiSession::MpiSession() {
  if (!launched_by_mpi()) return;
  local_size_ = std::max(1, env_int("OMPI_COMM_WORLD_LOCAL_SIZE", env_int("MPI_LOCALNRANKS", 1)));
#ifdef TRAINPLAN_HAVE_MPI
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
  rank_ = env_int("OMPI_COMM_WORLD_RANK", env_int("PMIX_RANK", env_int("PMI_RANK", 0)));
  idle_ = rank_ != 0;
  if (rank_ == 0 && env_int("OMPI_COMM_WORLD_SIZE", env_int("PMI_SIZE", 1)) > 1)
    std::cerr << "trainplan sweep: built without MPI; rank 0 evaluates every point and the other ranks do nothing\n";
#endif
}

MpiSession::~MpiSession() {
#ifdef TRAINPLAN_HAVE_MPI
  if (active_) MPI_Finalize();
#endif
}

std::vector<int> MpiSession::share(int count) const {
  std::vector<int> mine;
  if (idle_) return mine;
  for (int i = rank_; i < count; i += size_) mine.push_back(i);
  return mine;
}

std::vector<std::string> MpiSession::gather(const std::string& mine) const {
#ifdef TRAINPLAN_HAVE_MPI
  if (active_ && size_ > 1) {
    const int len = static_cast<int>(mine.size());
    std::vector<int> lens(rank_ == 0 ? size_ : 0), offsets(rank_ == 0 ? size_ : 0);
    MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank_ == 0) {
      int total = 0;
      for (int r = 0; r < size_; ++r) {
        offsets[r] = total;
        total += lens[r];
      }
      all.resize(static_cast<size_t>(total));
    }
    MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    if (rank_ == 0)
      for (int r = 0; r < size_; ++r) out.push_back(all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(lens[r])));
    return out;
  }
#endif
  if (rank_ != 0) return {};
  return {mine};
}

bool MpiSession::any(bool mine) const {
#ifdef TRAINPLAN_HAVE_MPI
  if (active_ && size_ > 1) {
    int in = mine ? 1 : 0, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out != 0;
  }
#endif
  return mine;
}

void MpiSession::abort(int code) const {
#ifdef TRAINPLAN_HAVE_MPI
  if (active_) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

}  // namespace trainplan::sweep
