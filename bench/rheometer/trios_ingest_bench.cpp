// bench_rheometer_trios_ingest [ROWS] [DIR]: writes a TRIOS "Export to LIMS" file of ROWS data
// points (default 100,000; the column set of the real example in the reference), parses it with
// glasslab's reader (best of 3), then lets python3's csv module read the same rows and convert
// the same five columns, and prints both figures. Target (issue 4): < 2 s for 100,000 rows.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "drivers/rheometer/trios/trios_export.hpp"

namespace fs = std::filesystem;

namespace {

void write_export(const fs::path& file, long rows) {
  std::ofstream out(file, std::ios::binary);
  out << "[Version]\nTA Instruments LIMS export format version\t0\n[Sample]\nName\tbench bar\n"
         "[Geometry]\n[Geometry: Standard]\nName\tRectangular Torsion\n[Procedure]\nProcedure name\tbench\n"
         "[Step]\nStep name\tTemperature ramp\nNumber of points\t" << rows << "\n";
  out << "Variables\tRun time\tTemperature\tAngular frequency\tOscillation torque\tAxial force\tGap\t"
         "Oscillation strain\tOscillation stress\tPhase angle\tStorage modulus\tLoss modulus\tTan(delta)\t"
         "Complex modulus\tStiffness\tStatus bits\tDate and time\tFrequency\n";
  out << "Units\ts\t°C\trad/s\tµN.m\tN\tmm\t%\tPa\t°\tPa\tPa\t\tPa\tN.m/rad\t\t\tHz\n";
  const double freqs[] = {0.05, 0.5, 3, 7, 15};
  for (long i = 0; i < rows; ++i) {
    const double t = 10.0 + i * 2.5, T_C = -150.0 + i * 0.002, f = freqs[i % 5];
    const double storage = 3.4e10 * (1 - 1e-4 * i / 100.0), loss = storage * (0.002 + 1e-3 * std::sin(i * 1e-3));
    const int sec = static_cast<int>(t) % 60, min = static_cast<int>(t / 60) % 60, hour = 1 + static_cast<int>(t / 3600) % 11;
    out << fmt::format("Data point\t{:.6f}\t{:.6f}\t{:.9f}\t{:.4f}\t{:.5f}\t{:.6f}\t{:.6f}\t{:.4f}\t{:.6f}\t{:.7g}\t{:.7g}\t"
                       "{:.7g}\t{:.7g}\t{:.6f}\t0xB6453\t6/26/2023 {}:{:02}:{:02} PM\t{}\n",
                       t, T_C, 2 * M_PI * f, 3920.5, 0.5, 1.0, 0.01, 3.4e6, 0.11, storage, loss, loss / storage,
                       std::hypot(storage, loss), 1.2, hour, min, sec, f);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 100'000;
  const fs::path dir = argc > 2 ? fs::path(argv[2]) : fs::temp_directory_path();
  const fs::path file = dir / fmt::format("glasslab-trios-bench-{}.txt", rows);
  write_export(file, rows);
  fmt::print("TRIOS LIMS text: {} rows, {:.1f} MB ({})\n", rows, fs::file_size(file) / 1e6, file.string());

  double best_s = 1e9;
  std::size_t points = 0;
  for (int run = 0; run < 3; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const auto data = glasslab::rheometer::trios::read_export(file);
    best_s = std::min(best_s, seconds_since(start));
    points = data.points.size();
  }
  fmt::print("glasslab read_export           : {:.3f} s ({} points, {:.0f} rows/s)  target < 2 s: {}\n", best_s, points,
             points / best_s, best_s < 2.0 ? "met" : "NOT met");

  // Peer: python3's csv module over the same file, converting the same columns to float.
  const std::string script =
      "import csv,sys,time\n"
      "t=time.perf_counter()\n"
      "n=0\n"
      "with open(sys.argv[1],newline='',encoding='utf-8') as f:\n"
      "  for r in csv.reader(f,delimiter='\\t'):\n"
      "    if r and r[0]=='Data point':\n"
      "      T=float(r[2])+273.15; w=float(r[3]); G1=float(r[10]); G2=float(r[11]); td=float(r[12]); n+=1\n"
      "print('%.3f %d'%(time.perf_counter()-t,n))\n";
  const fs::path script_file = dir / "glasslab-trios-bench-peer.py";
  std::ofstream(script_file) << script;
  const std::string command = fmt::format("python3 '{}' '{}'", script_file.string(), file.string());
  double peer_s = -1;
  long peer_rows = 0;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    if (std::fscanf(pipe, "%lf %ld", &peer_s, &peer_rows) != 2) peer_s = -1;
    pclose(pipe);
  }
  if (peer_s >= 0)
    fmt::print("python3 csv module (peer)      : {:.3f} s ({} rows)  ratio glasslab/peer: {:.2f}\n", peer_s, peer_rows,
               best_s / peer_s);
  else
    fmt::print("python3 csv module (peer)      : not available\n");
  fs::remove(file);
  fs::remove(script_file);
  return best_s < 2.0 ? 0 : 1;
}
