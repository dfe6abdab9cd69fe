// The text exposition format (Prometheus 0.0.4) as the metrics page writes it: each family's
// HELP and TYPE lines, then its samples.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "base/counters.hpp"

namespace port53::daemon {

class MetricsPage {
  public:
    void family(const char* name, const char* type, const char* help) {
        out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    }
    void sample(const char* name, uint64_t value, const std::string& labels = {}) {
        head(name, labels);
        out_ << value << '\n';
    }
    // A sample that is not a whole number (a histogram's sum, in seconds).
    void sample_real(const char* name, double value, const std::string& labels = {}) {
        head(name, labels);
        out_ << value << '\n';
    }
    std::string text() const { return out_.str(); }

  private:
    void head(const char* name, const std::string& labels) {
        out_ << name;
        if (!labels.empty()) out_ << '{' << labels << '}';
        out_ << ' ';
    }
    std::ostringstream out_;
};

// `key="value"`, the value escaped as the format wants (metric_label, metrics.hpp).
std::string metric_label_pair(const char* key, std::string_view value);

// The per-worker counters (base/counters.hpp), summed: queries by transport, type, rcode and
// EDE, answer-cache hits and misses, refusals, connections, handshakes, upstream figures
// with the response-time histogram, validation outcomes, and each worker's load.
void render_counters(MetricsPage& p, const base::CounterRegistry& registry);

}  // namespace port53::daemon
