// `vclab analyze RUN` and `vclab plot RUN`.
#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "app/run_analysis.hpp"

namespace vclab {

void register_run_commands(CLI::App& app, CommandRegistry& registry) {
  auto analyze_dir = std::make_shared<std::string>();
  auto* analyze = app.add_subcommand("analyze", "Run every analysis that applies to a run's recordings (writes RUN/analysis/)");
  analyze->add_option("run", *analyze_dir, "Run directory written by vclab train")->required();
  registry.add(analyze, [analyze_dir] {
    const RunAnalysis analysis = analyze_run(*analyze_dir);
    const auto& rows = analysis.correlations;
    std::cout << "wrote " << rows.size() << " correlation rows to " << *analyze_dir << "/analysis/correlations.{json,csv}\n";
    for (std::size_t i = 2; i < analysis.files.size(); ++i) std::cout << "wrote " << *analyze_dir << "/analysis/" << analysis.files[i] << "\n";
    for (const auto& [reference, quantity] :
         std::vector<std::pair<std::string, std::string>>{{"gram", "vc"}, {"gram", "agop"}, {"dgram", "vc"}, {"dgram", "agop"}}) {
      const Correlations c = last_diagonal_correlation(rows, 0, reference, quantity);
      if (std::isfinite(c.pearson))
        std::cout << "layer 0, last checkpoint: pearson(diag " << quantity << ", diag " << reference << ") = " << c.pearson
                  << "  spearman = " << c.spearman << "\n";
    }
    return 0;
  });

  auto plot_dir = std::make_shared<std::string>();
  auto* plot = app.add_subcommand("plot", "Draw every figure that applies to a run (writes RUN/figures/: .dat + .gp + PDF/PNG/SVG)");
  plot->add_option("run", *plot_dir, "Run directory written by vclab train")->required();
  registry.add(plot, [plot_dir] {
    for (const auto& name : plot_run(*plot_dir)) std::cout << "wrote " << *plot_dir << "/figures/" << name << ".{dat,gp,pdf,png,svg}\n";
    return 0;
  });
}

}  // namespace vclab
