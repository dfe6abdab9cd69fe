// port53d.toml(5): the settings table as a manual page, so the package's man page and the
// README's reference (config_reference) come from one table and each default is written
// once.
#include <sstream>
#include <string_view>

#include "conf/config.hpp"
#include "conf/settings.hpp"

namespace port53::conf {
namespace {

// roff treats '\' as an escape, '-' as a hyphen (not the ASCII minus of an option) and a
// line starting with '.' or '\'' as a request (groff_man(7)).
std::string roff(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
    return out;
}

constexpr const char* kHead =
    ".SH NAME\nport53d.toml \\- configuration file of port53d, the port53 DNS resolver\n"
    ".SH SYNOPSIS\n/etc/port53/port53d.toml\n"
    ".SH DESCRIPTION\nThe configuration of\n.BR port53d (8)\nis a TOML file of tables "
    "([server], [cache], ...) and arrays of tables ([[forward]], ...). Every setting is "
    "optional: its default is shown beside it. A key or table that is not listed here is "
    "an error, reported with the file and line, and so is a value of the wrong type or out "
    "of bounds.\n.PP\nCheck a file without starting the daemon with\n"
    ".BR \"port53d \\-\\-check \\-c \" FILE .\n";

constexpr const char* kTail =
    ".SH FILES\n.TP\n.I /etc/port53/port53d.toml\nThe configuration read by the packaged "
    "service.\n.SH SEE ALSO\n.BR port53d (8),\n.BR port53\\-ctl (8)\n";

}  // namespace

std::string config_manpage(std::string_view version) {
    std::ostringstream out;
    out << ".TH PORT53D.TOML 5 \"\" \"port53 " << version << "\" \"File formats\"\n" << kHead;
    const Config defaults;
    std::string_view section;
    for (const auto& s : settings()) {
        if (section != s.section) {
            section = s.section;
            out << (s.add_element ? ".SS [[" : ".SS [") << roff(section)
                << (s.add_element ? "]]\n" : "]\n");
        }
        out << ".TP\n.B " << roff(s.key) << "\n(" << s.type << ", default \\fB"
            << roff(s.show(defaults)) << "\\fR)\n"
            << roff(s.help) << '\n';
    }
    out << kTail;
    return out.str();
}

}  // namespace port53::conf
