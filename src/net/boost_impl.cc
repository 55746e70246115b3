// The one translation unit that compiles Asio, Asio SSL and Beast (about 10 s and 750 MB at -O0).
// Every other file in the project includes their headers with BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION defined (public definitions of jit_net), so it only sees
// declarations. Do not add anything else here: a change to this file recompiles all of it.
#include "net/asio.h"

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
