Attribute VB_Name = "Knappar"
' Kommunbudget: the workbook buttons. Kept as text in macros/Knappar.bas; put into a workbook
' by 'kommunbudget excel-setup' (see docs/ANVANDARGUIDE.md).
' Each Sub is one button: RunPython (from the xlwings VBA module, or the VBA reference to the
' xlwings add-in) runs the handler in addin/buttons.py, which finds this workbook with
' xw.Book.caller(). Plain ASCII only: the VBA editor reads this file in the ANSI code page.
Option Explicit

Public Sub Kontrollera()
    RunPython "import addin.buttons; addin.buttons.kontrollera()"
End Sub

Public Sub Berakna()
    RunPython "import addin.buttons; addin.buttons.berakna()"
End Sub

Public Sub Resultatbalansera()
    RunPython "import addin.buttons; addin.buttons.resultatbalansera()"
End Sub

Public Sub UppdateraAllt()
    RunPython "import addin.buttons; addin.buttons.uppdatera_allt()"
End Sub
