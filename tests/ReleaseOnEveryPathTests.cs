using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using PinAnalyzers.CodeFixes;
using PinAnalyzers.Flow;
using Xunit;

namespace PinAnalyzers.Tests;

/// <summary>
/// The release machinery's receiver shape, which PIN4002's fix will use through one <see cref="ReleaseKinds"/> row:
/// <c>view.AcquirePointer(ref p)</c> released by <c>view.ReleasePointer()</c> in a <c>finally</c>. Driven directly,
/// with the row the PIN4002 fix will add, until that rule's analyzer exists.
/// </summary>
public sealed class ReleaseOnEveryPathTests
{
    private static readonly ReleaseKind ViewPointer = new(
        PinKind.GCHandle, // stands in for the view-pointer kind; the direct entry point does not look at it
        "ReleasePointer",
        (_, type) => type?.ToDisplayString() == "Microsoft.Win32.SafeHandles.SafeMemoryMappedViewHandle",
        ReleaseUsing.Never,
        releasesReceiver: true);

    [Fact]
    public Task ReleaseAfterAThrowingCall_MovesIntoFinally()
        => VerifyAsync("""
            using System.IO;
            using System.IO.MemoryMappedFiles;

            unsafe static class Log
            {
                public static void Append(MemoryMappedViewAccessor view, Stream source)
                {
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    source.Read(new System.Span<byte>(p + view.PointerOffset, 16));
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
            """, """
            using System.IO;
            using System.IO.MemoryMappedFiles;

            unsafe static class Log
            {
                public static void Append(MemoryMappedViewAccessor view, Stream source)
                {
                    byte* p = null;
                    view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                    try
                    {
                        source.Read(new System.Span<byte>(p + view.PointerOffset, 16));
                    }
                    finally
                    {
                        view.SafeMemoryMappedViewHandle.ReleasePointer();
                    }
                }
            }
            """);

    [Fact]
    public Task NeverReleased_HandleInALocal()
        => VerifyAsync("""
            using System;
            using Microsoft.Win32.SafeHandles;

            unsafe static class Log
            {
                public static void Dump(SafeMemoryMappedViewHandle handle)
                {
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    Console.WriteLine(*p);
                }
            }
            """, """
            using System;
            using Microsoft.Win32.SafeHandles;

            unsafe static class Log
            {
                public static void Dump(SafeMemoryMappedViewHandle handle)
                {
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    try
                    {
                        Console.WriteLine(*p);
                    }
                    finally
                    {
                        handle.ReleasePointer();
                    }
                }
            }
            """);

    [Fact]
    public Task EarlyReleaseOnOnePath_NoFix()
        => VerifyAsync("""
            using System;
            using Microsoft.Win32.SafeHandles;

            unsafe static class Log
            {
                public static void Dump(SafeMemoryMappedViewHandle handle, bool quick)
                {
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    if (quick)
                    {
                        handle.ReleasePointer();
                        return;
                    }

                    Console.WriteLine(*p);
                    handle.ReleasePointer();
                }
            }
            """, null);

    [Fact]
    public Task ReceiverReassigned_NoFix()
        => VerifyAsync("""
            using System;
            using Microsoft.Win32.SafeHandles;

            unsafe static class Log
            {
                public static void Dump(SafeMemoryMappedViewHandle handle, SafeMemoryMappedViewHandle other)
                {
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    handle = other;
                    Console.WriteLine(*p);
                }
            }
            """, null);

    [Fact]
    public Task OtherKindsIgnoreTheReceiverShape()
        => VerifyAsync("""
            using Microsoft.Win32.SafeHandles;

            unsafe static class Log
            {
                public static void Dump(SafeMemoryMappedViewHandle handle)
                {
                    byte* p = null;
                    handle.AcquirePointer(ref p);
                    System.Console.WriteLine(*p);
                }
            }
            """, null, ReleaseKinds.All[0]);

    private static async Task VerifyAsync(string source, string? expected, ReleaseKind? kind = null)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Create(), "Test", "Test", LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true),
                parseOptions: new CSharpParseOptions(LanguageVersion.Preview),
                metadataReferences: Basic.Reference.Assemblies.Net100.References.All))
            .AddDocument(documentId, "Test.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;
        var compilation = (await document.Project.GetCompilationAsync())!;
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var root = (await document.GetSyntaxRootAsync())!;
        var pin = root.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Single(i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "AcquirePointer" });
        var fixedRoot = await ReleaseOnEveryPath.RewriteAsync(document, root, pin, kind ?? ViewPointer, CancellationToken.None);
        if (expected is null)
        {
            Assert.Null(fixedRoot);
            return;
        }

        Assert.NotNull(fixedRoot);
        var fixedDocument = await Formatter.FormatAsync(document.WithSyntaxRoot(fixedRoot!), Formatter.Annotation);
        var text = (await fixedDocument.GetTextAsync()).ToString();
        Assert.Equal(expected.ReplaceLineEndings(), text.ReplaceLineEndings());
        var fixedCompilation = (await fixedDocument.Project.GetCompilationAsync())!;
        Assert.Empty(fixedCompilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}
