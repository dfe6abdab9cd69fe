// libFuzzer target: any bytes as a configuration file must give a Config or a ConfigError
// with a file:line message — never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "conf/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    try {
        port53::conf::parse_config(std::string(reinterpret_cast<const char*>(data), size),
                                   "fuzz.toml");
    } catch (const port53::conf::ConfigError& e) {
        if (std::string(e.what()).rfind("fuzz.toml:", 0) != 0) __builtin_trap();
    }
    return 0;
}
