using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// The can-throw policy for <c>Nullable&lt;T&gt;</c>: <c>HasValue</c> and <c>GetValueOrDefault</c> never throw; <c>Value</c>
/// throws unless a test of the same local or parameter guards it.
/// </summary>
public sealed class PIN1002NullableReadsTests
{
    private static string Method(string body) => $$"""
        using System;
        using System.Runtime.InteropServices;

        struct Rect { public int X, Y; }

        static class Native
        {
            [DllImport("fna3d")] public static extern void GetData(IntPtr data, int x, int y);

            public static void GetData(byte[] data, Rect? rect)
            {
                int x = 0, y = 0;
                var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
        {{body}}
                GetData(handle.AddrOfPinnedObject(), x, y);
                handle.Free();
            }
        }
        """;

    [Theory]
    [InlineData("if (rect == null) { x = 1; } else { x = rect.Value.X; y = rect.Value.Y; }")]
    [InlineData("if (rect != null) { x = rect.Value.X; }")]
    [InlineData("if (rect.HasValue) x = rect.Value.X;")]
    [InlineData("if (!rect.HasValue) { } else x = rect.Value.X;")]
    [InlineData("if (rect is not null && rect.Value.X > 0) x = rect.Value.X;")]
    [InlineData("if (rect is { }) x = rect.Value.X;")]
    [InlineData("x = rect == null ? 0 : rect.Value.X;")]
    [InlineData("x = rect.HasValue ? rect.Value.X : 0;")]
    [InlineData("y = rect == null || rect.Value.Y == 0 ? 1 : 2;")]
    [InlineData("x = rect.GetValueOrDefault().X;")]
    [InlineData("y = rect.HasValue ? 1 : 0;")]
    public Task GuardedOrNonThrowingReads(string body)
        => Verify.VerifyAsync(Method(body).Replace("{|#0:", string.Empty).Replace(")|};", ");"));

    [Fact]
    public Task EarlyReturnGuards()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Rect { public int X, Y; }

            static class Native
            {
                [DllImport("fna3d")] public static extern void GetData(IntPtr data, int x, int y);

                public static void GetData(byte[] data, Rect? rect)
                {
                    var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
                    if (rect == null)
                    {
                        handle.Free();
                        return;
                    }

                    GetData(handle.AddrOfPinnedObject(), rect.Value.X, rect.Value.Y);
                    handle.Free();
                }
            }
            """);

    [Theory]
    [InlineData("x = rect.Value.X;")]
    [InlineData("if (rect == null) { x = rect.Value.X; }")]
    [InlineData("if (rect != null) { rect = null; x = rect.Value.X; }")]
    [InlineData("if (rect != null) { Reset(ref rect); x = rect.Value.X; }")]
    [InlineData("if (rect.HasValue || y > 0) x = rect.Value.X;")]
    [InlineData("Rect? other = null; if (other != null) x = rect.Value.X;")]
    public Task UnguardedValueMayThrow(string body)
        => Verify.VerifyAsync(
            Method(body).Replace("    }\n}", "    }\n\n    [DllImport(\"fna3d\")] private static extern void Reset(ref Rect? r);\n}"),
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Value' throws"));

    [Fact]
    public Task GuardInvalidatedByLocalFunction()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Rect { public int X, Y; }

            static class Native
            {
                [DllImport("fna3d")] public static extern void GetData(IntPtr data, int x, int y);

                public static void GetData(byte[] data, Rect? rect)
                {
                    int x = 0;
                    Clear();
                    var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    if (rect != null)
                    {
                        // Conservative: a nested function that writes the value may run anywhere.
                        x = rect.Value.X;
                    }

                    GetData(handle.AddrOfPinnedObject(), x, 0);
                    handle.Free();

                    void Clear() => rect = null;
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Value' throws"));

    [Fact]
    public Task FieldIsNotGuarded()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;

            struct Rect { public int X, Y; }

            sealed class Texture
            {
                [DllImport("fna3d")] private static extern void GetData(IntPtr data, int x, int y);

                private Rect? _rect;

                public void GetData(byte[] data)
                {
                    int x = 0;
                    var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    if (_rect != null)
                    {
                        x = _rect.Value.X;
                    }

                    GetData(handle.AddrOfPinnedObject(), x, 0);
                    handle.Free();
                }
            }
            """,
            Verify.Diagnostic("PIN1002").WithLocation(0).WithArguments("may leak if 'Value' throws"));
}
