#include "io/sink.h"
#include "logical/schema_hash.h"
#include "io/pipe_program.h"

#include <gtest/gtest.h>

using namespace safekeep;

TEST(LogicalSchemaHash, IgnoresCommentsBlankAndRestrictLines) {
    std::string a = "\\restrict abc\n-- Name: t\n\nCREATE TABLE t (a int);\n\\unrestrict abc\n";
    std::string b = "\\restrict xyz\n-- other comment\nCREATE TABLE t (a int);\n\n\\unrestrict xyz";
    EXPECT_EQ(schema_hash_of_text(a), schema_hash_of_text(b));
    EXPECT_NE(schema_hash_of_text(a), schema_hash_of_text("CREATE TABLE t (a bigint);\n"));
}

TEST(LogicalPipe, StreamsStdoutAndStdin) {
    std::vector<uint8_t> out;
    VectorSink sink(out);
    PipeResult r = run_program_to_sink(
        {"/bin/sh", "-c", "head -c 1000000 /dev/zero; echo oops >&2"}, sink, {});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(out.size(), 1000000u);
    EXPECT_EQ(r.diagnostics, "oops\n");

    PipeResult w = run_program_from_source({"/usr/bin/wc", "-c"},
                                           [](Sink &in) {
                                               std::vector<uint8_t> chunk(65536, 'x');
                                               for (int i = 0; i < 20; i++)
                                                   in.write(chunk.data(), chunk.size());
                                           },
                                           {});
    EXPECT_EQ(w.exit_code, 0);
    EXPECT_EQ(w.diagnostics, "1310720\n");
}

TEST(LogicalPipe, EarlyExitIsNotAnError) {
    PipeResult w = run_program_from_source({"/bin/sh", "-c", "exit 3"},
                                           [](Sink &in) {
                                               std::vector<uint8_t> chunk(65536, 'x');
                                               for (int i = 0; i < 50; i++)
                                                   in.write(chunk.data(), chunk.size());
                                           },
                                           {});
    EXPECT_EQ(w.exit_code, 3);
}
